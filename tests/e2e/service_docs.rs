//! The `curl` examples of docs/API.md, run as they are written against a
//! live `plexus serve --http`: every ```` ```bash NAME ```` block is taken
//! from the file, run with bash in a folder holding `sample.png` and the
//! doc's own `histogram.toml` pipeline, and what it printed (or wrote) is
//! checked against what the sample holds. A block without its check, or a
//! check whose block is gone, fails the test, so the doc and the test
//! cannot drift apart. The Python blocks are run by .ci/api_examples.py.

use plexus_e2e::{repo, Sandbox};
use plexus_plugin_api::Array;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::process::Command;

use super::service_client::Server;

const WIDTH: usize = 64;
const HEIGHT: usize = 48;

/// The sample: `y x band`, u8; every pixel moves along (1, 2, 2) with
/// `t`, plus a little of three unrelated patterns, so a PCA's first
/// component is close to (1, 2, 2) / 3. .ci/api_examples.py makes the same.
fn sample() -> Array {
    let mut data = Vec::with_capacity(WIDTH * HEIGHT * 3);
    for y in 0..HEIGHT {
        for x in 0..WIDTH {
            let t = (3 * x + y) % 60;
            let noise = [(7 * x + 13 * y) % 5, (11 * x + 3 * y) % 5, (5 * x + 17 * y) % 5];
            let base = [20 + t, 40 + 2 * t, 30 + 2 * t];
            data.extend((0..3).map(|b| (base[b] + noise[b]) as u8));
        }
    }
    Array::from_vec(vec![HEIGHT, WIDTH, 3], data).unwrap().with_axes("y x band").unwrap()
}

/// The fenced blocks of `lang` in docs/API.md, by the name after the
/// language; every such block must have one.
fn blocks(text: &str, lang: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(info) = line.strip_prefix("```") else { continue };
        let mut words = info.split_whitespace();
        let body: Vec<&str> = lines.by_ref().take_while(|l| !l.starts_with("```")).collect();
        if words.next() != Some(lang) {
            continue;
        }
        let name = words
            .next()
            .unwrap_or_else(|| panic!("a ```{lang} block of docs/API.md has no name:\n{}", body.join("\n")));
        let again = out.insert(name.to_string(), body.join("\n") + "\n");
        assert!(again.is_none(), "two ```{lang} {name} blocks in docs/API.md");
    }
    out
}

/// The doc's `histogram` pipeline (its ```` ```toml ```` block).
fn doc_pipeline(text: &str) -> String {
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "```toml" {
            let body: Vec<&str> = lines.by_ref().take_while(|l| !l.starts_with("```")).collect();
            if body.iter().any(|l| l.trim() == "name = \"histogram\"") {
                return body.join("\n") + "\n";
            }
        }
    }
    panic!("docs/API.md has no ```toml block of the `histogram` pipeline")
}

/// Runs one block with bash (`-euo pipefail`, as a careful reader would)
/// in the sandbox, with the variables the doc names; its stdout.
fn run(sb: &Sandbox, name: &str, code: &str, env: &BTreeMap<&str, String>) -> String {
    let out = Command::new("bash")
        .args(["-euo", "pipefail", "-c", code])
        .current_dir(sb.path())
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .expect("spawn bash");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(
        out.status.success(),
        "`bash {name}` of docs/API.md failed ({}):\n{code}\nstdout: {stdout}\nstderr: {stderr}",
        out.status
    );
    stdout.into_owned()
}

fn json_of(name: &str, text: &str) -> Value {
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("`bash {name}` printed no JSON ({e}): {text}"))
}

#[test]
fn the_curl_examples_of_api_md_run_against_a_live_server() {
    let curl = Command::new("curl").arg("--version").output();
    assert!(curl.is_ok_and(|o| o.status.success()), "the examples of docs/API.md need curl: `apt-get install curl`");
    let doc = std::fs::read_to_string(repo().join("docs/API.md")).unwrap();
    let code = blocks(&doc, "bash");
    let sb = Sandbox::new();
    let image = sample();
    plexus_io::write(&sb.path().join("sample.png"), &image).unwrap();
    sb.write("pipelines/histogram.toml", &doc_pipeline(&doc));
    let s = Server::start(&sb, &[]);
    let mut env: BTreeMap<&str, String> =
        [("PLEXUS_URL", format!("http://{}", s.addr)), ("PLEXUS_TOKEN", s.token.clone())].into();
    let pixels = image.to_f64_vec();
    let band = |b: usize| -> Vec<f64> { pixels.iter().skip(b).step_by(3).copied().collect() };

    // The order a reader follows; `poll` twice, for the job and the PCA.
    let order = ["upload", "metadata", "slice", "statistics", "submit", "poll", "pca", "poll"];
    let named: std::collections::BTreeSet<&str> = order.into_iter().collect();
    let documented: std::collections::BTreeSet<&str> = code.keys().map(String::as_str).collect();
    assert_eq!(documented, named, "the ```bash blocks of docs/API.md and the checks here differ");
    let mut polled = 0;
    for name in order {
        let out = run(&sb, name, &code[name], &env);
        match name {
            "upload" => {
                let d = json_of(name, &out);
                assert_eq!((d["shape"].clone(), d["dtype"].clone()), (json!([HEIGHT, WIDTH, 3]), json!("u8")), "{d:#}");
                env.insert("DATASET", d["id"].as_str().unwrap().to_string());
            }
            "metadata" => {
                let d = json_of(name, &out);
                assert_eq!(d["id"], env["DATASET"].as_str());
                let axes: Vec<&str> =
                    d["axes"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
                assert_eq!((axes, d["channels"].clone()), (vec!["y", "x", "band"], json!(3)), "{d:#}");
            }
            "slice" => {
                let png = plexus_io::read(&sb.path().join("green.png")).expect("the slice example writes green.png");
                assert_eq!(png.shape(), &[HEIGHT, WIDTH]);
                assert_eq!(png.to_f64_vec(), band(1), "the window 0..255 maps every value to itself");
            }
            "statistics" => {
                let d = json_of(name, &out);
                let channels = d["channels"].as_array().unwrap();
                assert_eq!(channels.len(), 3, "{d:#}");
                for (b, c) in channels.iter().enumerate() {
                    let v = band(b);
                    let mean = v.iter().sum::<f64>() / v.len() as f64;
                    assert_eq!(c["count"], WIDTH * HEIGHT);
                    assert!((c["mean"].as_f64().unwrap() - mean).abs() < 1e-9, "channel {b}: {c} vs mean {mean}");
                    let (lo, hi) = v.iter().fold((f64::MAX, f64::MIN), |(lo, hi), x| (lo.min(*x), hi.max(*x)));
                    assert_eq!((c["min"].as_f64(), c["max"].as_f64()), (Some(lo), Some(hi)), "channel {b}");
                }
            }
            "submit" | "pca" => {
                let d = json_of(name, &out);
                assert_eq!(d["state"], "queued", "{d:#}");
                env.insert("JOB", d["id"].as_str().unwrap().to_string());
            }
            "poll" => {
                let j = json_of(name, &out);
                assert_eq!((j["id"].as_str(), j["state"].as_str()), (Some(env["JOB"].as_str()), Some("done")), "{j:#}");
                let results = &j["results"]["results"];
                if polled == 0 {
                    let h = &results["histogram"];
                    let counts: u64 = h["counts"].as_array().unwrap().iter().map(|c| c.as_u64().unwrap()).sum();
                    assert_eq!(h["counts"].as_array().unwrap().len(), 16, "{h:#}");
                    assert_eq!(counts, (WIDTH * HEIGHT * 3) as u64, "every value of the sample is counted: {h:#}");
                } else {
                    let p = &results["pca"];
                    let ratio = p["explained_variance_ratio"].as_array().unwrap();
                    let first: Vec<f64> =
                        p["components"][0].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
                    assert_eq!((ratio.len(), first.len()), (2, 3), "{p:#}");
                    assert!(ratio[0].as_f64().unwrap() > 0.95, "the sample moves along one direction: {p:#}");
                    let along = (first[0] + 2.0 * first[1] + 2.0 * first[2]) / 3.0;
                    assert!(along > 0.99, "the first component is (1, 2, 2) / 3: {first:?}");
                }
                polled += 1;
            }
            other => unreachable!("no check for `{other}`"),
        }
    }
    // The two jobs the examples queued, and no other.
    let jobs = s.get("/v1/jobs").json();
    assert_eq!(jobs["jobs"].as_array().unwrap().len(), 2, "{jobs:#}");
}
