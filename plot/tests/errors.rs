//! Bad input gives a `PlotError` with an exact, lowercase message naming the series.

use plexus_plot::{histogram, power_spectrum, time_series, Plot, Series};

fn err(p: &Plot) -> String {
    p.render().expect_err("should fail").to_string()
}

#[test]
fn empty_and_missing_data() {
    assert_eq!(err(&Plot::new("nothing")), "plot has no series");
    assert_eq!(err(&histogram(&[], &[], None)), "series \"histogram\" has no data");
    assert_eq!(err(&power_spectrum(&[], &[])), "series \"power\" has no data");
    let none: [(&str, &[f64]); 1] = [("drift", &[])];
    assert_eq!(err(&time_series(&[], &none)), "series \"drift\" has no data");
    assert_eq!(err(&Plot::new("").series(Series::line("", vec![], vec![]))), "series #1 has no data");
}

#[test]
fn nan_only_data() {
    let nan = f64::NAN;
    assert_eq!(err(&histogram(&[nan, nan], &[0.0, 1.0, 2.0], None)), "series \"histogram\" has no finite values");
    let p = Plot::new("").series(Series::line("ok", vec![0.0, 1.0], vec![1.0, 2.0])).series(Series::points(
        "",
        vec![0.0, nan],
        vec![nan, 1.0],
        None,
    ));
    assert_eq!(err(&p), "series #2 has no finite values");
    assert_eq!(err(&power_spectrum(&[1.0, 2.0], &[f64::INFINITY, nan])), "series \"power\" has no finite values");
}

#[test]
fn non_positive_values_on_log_axes() {
    assert_eq!(
        err(&power_spectrum(&[0.0, 1.0, 2.0], &[5.0, 0.0, 1.0])),
        "series \"power\": y value 0 at index 1 cannot be shown on a log y axis"
    );
    assert_eq!(
        err(&power_spectrum(&[0.0, 1.0], &[5.0, -2.5])),
        "series \"power\": y value -2.5 at index 1 cannot be shown on a log y axis"
    );
    // NaN next to a zero is skipped, the zero is not.
    let p = Plot::new("").log_x(true).series(Series::line("t", vec![f64::NAN, 0.0, 1.0], vec![0.0, 1.0, 2.0]));
    assert_eq!(err(&p), "series \"t\": x value 0 at index 1 cannot be shown on a log x axis");
    let p = histogram(&[1.0, 2.0], &[-1.0, 1.0, 2.0], None).log_x(true);
    assert_eq!(err(&p), "series \"histogram\": x value -1 at index 0 cannot be shown on a log x axis");
    let p = histogram(&[1.0, 0.0], &[0.0, 1.0, 2.0], None).log_y(true);
    assert_eq!(err(&p), "series \"histogram\": y value 0 at index 1 cannot be shown on a log y axis");
}

#[test]
fn mismatched_lengths_and_edges() {
    assert_eq!(err(&histogram(&[1.0, 2.0], &[0.0, 1.0], None)), "series \"histogram\": edges has 2 values, expected 3");
    assert_eq!(
        err(&histogram(&[1.0, 2.0], &[0.0, 1.0, 2.0], Some(&[1.0]))),
        "series \"histogram\": errors has 1 values, expected 2"
    );
    assert_eq!(
        err(&histogram(&[1.0, 2.0], &[0.0, 2.0, 1.0], None)),
        "series \"histogram\": bin edges must be finite and strictly increasing (edge 2 is 1)"
    );
    assert_eq!(
        err(&histogram(&[1.0, 2.0], &[0.0, f64::NAN, 1.0], None)),
        "series \"histogram\": bin edges must be finite and strictly increasing (edge 1 is NaN)"
    );
    assert_eq!(err(&power_spectrum(&[1.0, 2.0], &[1.0])), "series \"power\": y has 1 values, expected 2");
    let p = Plot::new("").series(Series::points("p", vec![1.0], vec![1.0], Some(vec![])));
    assert_eq!(err(&p), "series \"p\": errors has 0 values, expected 1");
}

#[test]
fn bad_ranges_and_sizes() {
    let h = || histogram(&[1.0], &[0.0, 1.0], None);
    assert_eq!(err(&h().x_range(1.0, 1.0)), "x range [1, 1] is invalid: lower bound must be below upper bound");
    assert_eq!(err(&h().y_range(0.0, f64::NAN)), "y range [0, NaN] is invalid: bounds must be finite");
    assert_eq!(
        err(&power_spectrum(&[1.0], &[1.0]).y_range(0.0, 1.0)),
        "y range [0, 1] is invalid: a log axis needs positive bounds"
    );
    assert_eq!(err(&h().size(100, 50)), "plot size 100x50 is too small (minimum 160x120)");
    // Text too big for the image: an error, not a panic.
    let e = err(&h().size(160, 120).text_scale(6).title("t").x_label("x").y_label("y"));
    assert!(e.starts_with("plot size 160x120 is too small"), "{e}");
}

#[test]
fn single_values_and_flat_data_render() {
    // Degenerate ranges are widened, not rejected.
    power_spectrum(&[3.0], &[7.0]).render().unwrap();
    histogram(&[0.0, 0.0], &[0.0, 1.0, 2.0], None).render().unwrap();
    time_series(&[0.0, 1.0], &[("c", [5.0, 5.0])]).render().unwrap();
}

#[test]
fn write_errors_name_the_path() {
    let e = histogram(&[1.0], &[0.0, 1.0], None).save_png("/nonexistent/dir/h.png".as_ref()).unwrap_err();
    assert!(e.to_string().starts_with("cannot write /nonexistent/dir/h.png: "), "{e}");
}
