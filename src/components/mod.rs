//! Pieces that several pages share.

pub mod icons;
pub mod nav;
pub mod settings;
pub mod shell;
