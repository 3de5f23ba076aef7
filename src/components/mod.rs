//! Pieces that several pages share.

pub mod field;
pub mod icons;
pub mod nav;
pub mod settings;
pub mod shell;
