//! `plexus check`: each class of pipeline error names the stage and key.

use plexus_e2e::{show, Sandbox};

const HEAD: &str = "[pipeline]\nname = \"p\"\n\n";

fn check(sb: &Sandbox, body: &str) -> String {
    sb.write("p.toml", &format!("{HEAD}{body}"));
    let out = sb.run(&["check", "p.toml"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn assert_line(stderr: &str, line: &str) {
    assert!(stderr.lines().any(|l| l.trim() == line), "expected the line\n  {line}\nin\n{stderr}");
}

fn source(id: &str) -> String {
    format!("[[stage]]\nid = \"{id}\"\nuse = \"generator.uniform\"\nparams = {{ shape = [4, 4] }}\n\n")
}

#[test]
fn unknown_plugin_and_operator() {
    let sb = Sandbox::new();
    let e = check(
        &sb,
        &format!(
            "{}[[stage]]\nid = \"a\"\nuse = \"nosuch.op\"\n\n[[stage]]\nid = \"b\"\nuse = \"trend.nosuch\"\n",
            source("s")
        ),
    );
    assert!(e.contains("stage `a`, key `use`: no plugin `nosuch` is loaded (available: "), "{e}");
    assert!(
        e.contains(
            "stage `b`, key `use`: plugin `trend` has no operator `nosuch` (available: `running_stats`, `time_series`, `set_stats`)"
        ),
        "{e}"
    );
    assert!(e.starts_with("error: `p.toml`: 2 problems"), "every problem is collected: {e}");
}

#[test]
fn parameter_type_range_choice_and_unknown() {
    let sb = Sandbox::new();
    let e = check(
        &sb,
        "[[stage]]\nid = \"src\"\nuse = \"generator.uniform\"\nparams = { shape = \"big\", frames = 0, seed = 1.5, colour = 3 }\n\n[[stage]]\nid = \"stats\"\nuse = \"trend.running_stats\"\nparams = { nan_policy = \"ignore\" }\n",
    );
    assert_line(&e, "stage `src`, key `params.shape`: expected a list of integers, got `\"big\"`");
    assert_line(&e, "stage `src`, key `params.frames`: expected at least 1, got 0");
    assert_line(&e, "stage `src`, key `params.seed`: expected an integer, got `1.5`");
    assert!(e.contains("stage `src`, key `params.colour`: is not a parameter of this operator (it takes "), "{e}");
    assert_line(&e, "stage `stats`, key `params.nan_policy`: expected one of propagate, omit, raise, got `ignore`");
}

#[test]
fn unknown_input_cycle_and_missing_source() {
    let sb = Sandbox::new();
    let e = check(
        &sb,
        &format!("{}[[stage]]\nid = \"a\"\nuse = \"trend.running_stats\"\ninputs = [\"ghost\"]\n", source("s")),
    );
    assert_line(&e, "stage `a`, key `inputs`: no stage `ghost` to read from");

    let e = check(
        &sb,
        "[[stage]]\nid = \"a\"\nuse = \"trend.running_stats\"\ninputs = [\"b\"]\n\n[[stage]]\nid = \"b\"\nuse = \"trend.running_stats\"\ninputs = [\"a\"]\n",
    );
    assert_line(&e, "stage `a`, key `inputs`: the stages form a cycle: a → b → a");

    let e = check(&sb, "[[stage]]\nid = \"a\"\nuse = \"trend.running_stats\"\n");
    assert_line(
        &e,
        "stage `a`, key `inputs`: the first stage reads nothing: add an `[input]` or start with a source operator",
    );
}

#[test]
fn a_projection_to_sinogram_pipeline_checks_with_a_reslice() {
    let sb = Sandbox::new();
    sb.pack("faulty", "libtest_faulty.so", &sb.plugins().join("faulty"));
    sb.write(
        "p.toml",
        &format!("{HEAD}{}[[stage]]\nid = \"norm\"\nuse = \"faulty.projections\"\n\n[[stage]]\nid = \"recon\"\nuse = \"faulty.sinograms\"\n", source("s")),
    );
    let out = sb.run(&["check", "p.toml"]);
    assert!(out.status.success(), "reslicing is supported now: {}", show(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("`norm` → `recon` (section 2): reslice `angle` → `row`"), "{text}");
}

#[test]
fn references_input_file_and_outputs() {
    let sb = Sandbox::new();
    let e = check(
        &sb,
        "[input]\npath = \"missing.tif\"\n\n[[stage]]\nid = \"a\"\nuse = \"trend.running_stats\"\nparams = { ddof = \"${ghost.value}\" }\n\n[[output]]\nfrom = \"a\"\npath = \"out.jpeg\"\n\n[[output]]\nfrom = \"zzz\"\npath = \"out.npy\"\n",
    );
    assert_line(&e, "key `input.path`: file `missing.tif` does not exist");
    assert_line(&e, "stage `a`, key `params.ddof`: `${ghost.value}` refers to no stage `ghost`");
    assert_line(
        &e,
        "key `output[0].path`: cannot tell the format of `out.jpeg`: use .npy, .tif, .tiff, .png, .zarr or .h5",
    );
    assert_line(&e, "key `output[1].from`: no stage `zzz` to write");
}

#[test]
fn plots_name_their_stage_and_path() {
    let sb = Sandbox::new();
    let e = check(&sb, &format!("{}[[plot]]\nfrom = \"nope\"\nkind = \"histogram\"\npath = \"h.jpg\"\n", source("s")));
    assert_line(&e, "key `plot[0].from`: no stage `nope` to plot");
    assert_line(&e, "key `plot[0].path`: plots are PNG files: expected a `.png` path, got `h.jpg`");
}

#[test]
fn toml_typos_name_the_line() {
    let sb = Sandbox::new();
    sb.write(
        "p.toml",
        &format!("{HEAD}[[stage]]\nid = \"a\"\nuse = \"trend.running_stats\"\nparms = {{ ddof = 1 }}\n"),
    );
    let out = sb.run(&["check", "p.toml"]);
    assert_eq!(out.status.code(), Some(1));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.starts_with(
            "error: `p.toml`, line 7: unknown field `parms`, expected one of `id`, `use`, `params`, `inputs`"
        ),
        "{e}"
    );
}

#[test]
fn a_valid_pipeline_checks() {
    let sb = Sandbox::new();
    sb.write("p.toml", &format!("{HEAD}{}[[stage]]\nid = \"stats\"\nuse = \"trend.running_stats\"\n", source("s")));
    let out = sb.run(&["check", "p.toml"]);
    assert!(out.status.success(), "{}", show(&out));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("`p.toml`: pipeline `p` is valid"));
}
