//! `plexus submit` and `plexus jobs` against a live `plexus serve --http`:
//! the dataset uploaded, the job followed to its end, the outputs
//! downloaded bit-identical to a `plexus run`; a refused pipeline and a
//! wrong token said plainly, with a failing exit status.

use plexus_e2e::{show, Sandbox};
use plexus_plugin_api::Array;

use super::service_client::Server;

const PIPELINE: &str = "[pipeline]\nname = \"smooth\"\n\n[input]\npath = \"vol.npy\"\nchunk = 2\n\n[[stage]]\nid = \"work\"\nuse = \"geometry.correlate\"\nparams = { filter = \"gaussian5\", mode = \"nearest\" }\n\n[[output]]\nfrom = \"work\"\npath = \"ref.npy\"\n";

#[test]
fn submit_uploads_follows_and_downloads_and_jobs_lists() {
    let sb = Sandbox::new();
    let vol = Array::from_fn(vec![10, 32, 32], |i| ((i * 31) % 251) as f32);
    plexus_io::write(&sb.path().join("vol.npy"), &vol).unwrap();
    sb.write("smooth.toml", PIPELINE);
    sb.write("pipelines/named.toml", PIPELINE);
    let s = Server::start(&sb, &[]);
    let server = format!("http://{}", s.addr);
    let out =
        sb.run(&["submit", "smooth.toml", "--dataset", "vol.npy", "--server", &server, "--out", "got", "--quiet"]);
    assert!(out.status.success(), "{}", show(&out));
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(said.contains("done: 1 output(s) in got"), "{said}");
    let reference = sb.run(&["run", "--quiet", "smooth.toml"]);
    assert!(reference.status.success(), "{}", show(&reference));
    let got = plexus_io::read(&sb.path().join("got/ref.npy")).unwrap();
    let want = plexus_io::read(&sb.path().join("ref.npy")).unwrap();
    assert!(got.as_bytes() == want.as_bytes(), "the downloaded output differs from `plexus run`'s");

    // By name from the server's pipelines folder, with an override.
    let out = sb.run(&[
        "submit",
        "named",
        "--dataset",
        "vol.npy",
        "--server",
        &server,
        "--out",
        "named",
        "--quiet",
        "--set",
        "work.mode=reflect",
    ]);
    assert!(out.status.success(), "{}", show(&out));

    let list = sb.run(&["jobs", "--server", &server]);
    assert!(list.status.success(), "{}", show(&list));
    let text = String::from_utf8_lossy(&list.stdout).into_owned();
    assert_eq!(text.lines().filter(|l| l.contains(" done ")).count(), 2, "{text}");
    assert!(text.contains("(inline)") && text.contains("named"), "{text}");

    let bad = sb.run(&["submit", "nope", "--dataset", "vol.npy", "--server", &server, "--quiet"]);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr).into_owned();
    assert!(
        err.contains("submitting `nope`")
            && err.contains("the server answered 422: no pipeline `nope` in the pipelines folder"),
        "{err}"
    );
    sb.write("wrong.token", "0000000000000000000000");
    let denied = sb.run(&["jobs", "--server", &server, "--token-file", "wrong.token"]);
    assert!(!denied.status.success());
    assert!(
        String::from_utf8_lossy(&denied.stderr).contains("the server answered 401: a bearer token is needed"),
        "{}",
        show(&denied)
    );
}
