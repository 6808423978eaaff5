//! A frame in memory: the drawing code draws here, then the whole frame goes to the panel in
//! one transfer (no half-drawn picture on the glass), to a PNG file, or to a test.

use embedded_graphics::pixelcolor::{PixelColor, Rgb888, RgbColor};
use embedded_graphics::prelude::{DrawTarget, OriginDimensions, Pixel, Point, Size};

/// `width * height` pixels of colour `C`, row by row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Framebuffer<C> {
    width: u32,
    height: u32,
    pixels: Vec<C>,
}

impl<C: PixelColor> Framebuffer<C> {
    pub fn new(size: Size, fill: C) -> Framebuffer<C> {
        Framebuffer {
            width: size.width,
            height: size.height,
            pixels: vec![fill; (size.width * size.height) as usize],
        }
    }

    /// The pixel at `p`, `None` outside the frame.
    pub fn pixel(&self, p: Point) -> Option<C> {
        let (x, y) = (u32::try_from(p.x).ok()?, u32::try_from(p.y).ok()?);
        (x < self.width && y < self.height).then(|| self.pixels[(y * self.width + x) as usize])
    }

    /// Row by row, as the panels want them.
    pub fn pixels(&self) -> &[C] {
        &self.pixels
    }
}

impl<C: PixelColor + Into<Rgb888>> Framebuffer<C> {
    /// The frame as 8-bit RGB, row by row.
    pub fn rgb(&self) -> Vec<[u8; 3]> {
        self.pixels
            .iter()
            .map(|c| {
                let c: Rgb888 = (*c).into();
                [c.r(), c.g(), c.b()]
            })
            .collect()
    }

    /// The frame as a PNG file's bytes.
    pub fn to_png(&self) -> Result<Vec<u8>, png::EncodingError> {
        let mut out = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut out, self.width, self.height);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            let mut w = enc.write_header()?;
            w.write_image_data(&self.rgb().concat())?;
        }
        Ok(out)
    }
}

impl<C: PixelColor> OriginDimensions for Framebuffer<C> {
    fn size(&self) -> Size {
        Size::new(self.width, self.height)
    }
}

impl<C: PixelColor> DrawTarget for Framebuffer<C> {
    type Color = C;
    type Error = core::convert::Infallible;

    fn draw_iter<I>(&mut self, pixels: I) -> Result<(), Self::Error>
    where
        I: IntoIterator<Item = Pixel<C>>,
    {
        for Pixel(p, c) in pixels {
            if let (Ok(x), Ok(y)) = (u32::try_from(p.x), u32::try_from(p.y))
                && x < self.width
                && y < self.height
            {
                self.pixels[(y * self.width + x) as usize] = c;
            }
        }
        Ok(())
    }
}
