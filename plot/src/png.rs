//! PNG output (and input, for comparing against golden images).
//!
//! Images are written as 8-bit RGB, best compression, adaptive filtering;
//! reading accepts 8-bit grey, grey+alpha, RGB and RGBA (alpha
//! is dropped, palettes are expanded).

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

use crate::error::PlotError;
use crate::raster::Rgb8Image;

/// Encodes `img` as an 8-bit RGB PNG into `w`.
pub fn encode_png<W: Write>(img: &Rgb8Image, w: W) -> Result<(), PlotError> {
    let mut enc = png::Encoder::new(w, img.width(), img.height());
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    // Plots are mostly flat colour: the best deflate level and per-row adaptive
    // filtering keep files small at a negligible cost for these sizes.
    enc.set_compression(png::Compression::Best);
    enc.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
    let mut writer = enc.write_header()?;
    writer.write_image_data(img.as_raw())?;
    writer.finish()?;
    Ok(())
}

/// Writes `img` to `path` as an 8-bit RGB PNG.
pub fn write_png(img: &Rgb8Image, path: &Path) -> Result<(), PlotError> {
    let write_err = |source| PlotError::Write { path: path.to_path_buf(), source };
    let file = File::create(path).map_err(write_err)?;
    let mut w = BufWriter::new(file);
    encode_png(img, &mut w)?;
    w.flush().map_err(write_err)
}

/// Decodes an 8-bit PNG from `r` into RGB.
pub fn decode_png<R: Read>(r: R) -> Result<Rgb8Image, PlotError> {
    let mut dec = png::Decoder::new(r);
    dec.set_transformations(png::Transformations::EXPAND);
    let mut reader = dec.read_info()?;
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf)?;
    if info.bit_depth != png::BitDepth::Eight {
        return Err(PlotError::UnsupportedPng(format!("bit depth {:?}", info.bit_depth)));
    }
    let px = (info.width * info.height) as usize;
    let channels = match info.color_type {
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        other => return Err(PlotError::UnsupportedPng(format!("colour type {other:?}"))),
    };
    let mut rgb = Vec::with_capacity(px * 3);
    for row in buf[..info.buffer_size()].chunks_exact(info.line_size) {
        for p in row[..info.width as usize * channels].chunks_exact(channels) {
            match channels {
                1 | 2 => rgb.extend_from_slice(&[p[0], p[0], p[0]]),
                _ => rgb.extend_from_slice(&p[..3]),
            }
        }
    }
    Rgb8Image::from_raw(info.width, info.height, rgb)
        .ok_or_else(|| PlotError::UnsupportedPng("decoded size does not match the header".into()))
}

/// Reads an 8-bit PNG file into RGB.
pub fn read_png(path: &Path) -> Result<Rgb8Image, PlotError> {
    let file = File::open(path).map_err(|source| PlotError::Read { path: path.to_path_buf(), source })?;
    decode_png(BufReader::new(file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut img = Rgb8Image::new(7, 3, [10, 20, 30]);
        img.put_pixel(6, 2, [1, 2, 3]);
        let mut bytes = Vec::new();
        encode_png(&img, &mut bytes).unwrap();
        assert_eq!(&bytes[1..4], b"PNG");
        assert_eq!(decode_png(&bytes[..]).unwrap(), img);
    }

    #[test]
    fn missing_file() {
        let err = read_png(Path::new("/nonexistent/x.png")).unwrap_err();
        assert!(err.to_string().starts_with("cannot read /nonexistent/x.png: "), "{err}");
    }
}
