//! QR codes as SVG: a licence's verification address, a staff member's authenticator secret.

use crate::platform::error::ApiError;

/// An SVG QR code of `text` (error correction M: a printed code survives a smudge).
pub fn qr_svg(text: &str) -> Result<String, ApiError> {
    use qrcode::render::svg;
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
        .map_err(ApiError::internal)?;
    Ok(code
        .render::<svg::Color>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build())
}

#[cfg(test)]
mod tests {
    #[test]
    fn qr_codes_are_svg() {
        let svg = super::qr_svg("http://127.0.0.1:8080/verify?t=abc.def").unwrap();
        assert!(
            svg.starts_with("<?xml") && svg.contains("<svg"),
            "{}",
            &svg[..80]
        );
    }
}
