//! Natural order of names, the way people sort them: `img2` before
//! `img10`. Used for the images of a folder and the datasets of a file.

use std::cmp::Ordering;

/// Compares names the way people sort them: runs of digits by value
/// (`img2` < `img10`), the rest case-insensitively; ties are broken by the
/// exact text, so the order is total.
pub(crate) fn natural_cmp(a: &str, b: &str) -> Ordering {
    fn runs(s: &str) -> impl Iterator<Item = (bool, &str)> {
        let mut rest = s;
        std::iter::from_fn(move || {
            let first = rest.chars().next()?;
            let digits = first.is_ascii_digit();
            let end = rest.find(|c: char| c.is_ascii_digit() != digits).unwrap_or(rest.len());
            let (run, tail) = rest.split_at(end);
            rest = tail;
            Some((digits, run))
        })
    }
    let mut ra = runs(a);
    let mut rb = runs(b);
    loop {
        let ord = match (ra.next(), rb.next()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some((true, x)), Some((true, y))) => {
                let (xs, ys) = (x.trim_start_matches('0'), y.trim_start_matches('0'));
                xs.len().cmp(&ys.len()).then_with(|| xs.cmp(ys))
            }
            (Some((_, x)), Some((_, y))) => {
                x.chars().flat_map(char::to_lowercase).cmp(y.chars().flat_map(char::to_lowercase))
            }
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order() {
        let mut v = vec!["img10.png", "img2.png", "Img1.png", "img02.png", "a.tif", "img2b.png", "img2.npy", "b"];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(v, ["a.tif", "b", "Img1.png", "img2.npy", "img02.png", "img2.png", "img2b.png", "img10.png"]);
        assert_eq!(natural_cmp("x99999999999999999999999", "x100000000000000000000000"), Ordering::Less);
        assert_eq!(natural_cmp("é2", "é10"), Ordering::Less);
    }
}
