//! Test support (feature `testing`), shared by the engine's own tests and the server's: the
//! policy files of `policies/` as fixtures (read from the repository at run time: no policy
//! is compiled into a build), and property-test strategies of values clustered near the
//! reference policies' thresholds.

use proptest::prelude::*;

use crate::catalogue::{Catalogue, Type};
use crate::policy::{load, Policy};
use crate::value::Value;

/// The repository's `policies/` folder.
pub fn policies_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies")
}

/// Every policy file of `policies/` as (its path from the repository root, its text), by name.
pub fn reference_sources() -> Vec<(String, String)> {
    let mut files: Vec<_> = std::fs::read_dir(policies_dir())
        .expect("the repository's policies/ folder")
        .map(|e| e.expect("a policy file").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = format!("policies/{}", p.file_name().unwrap().to_string_lossy());
            let text = std::fs::read_to_string(&p).expect("a readable policy file");
            (name, text)
        })
        .collect()
}

/// The policies of `policies/`, compiled.
pub fn reference_policies() -> Vec<Policy> {
    reference_sources()
        .iter()
        .map(|(file, src)| load(file, src, Catalogue::standard()).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

/// A value of `ty` near the reference policies' thresholds, or null.
pub fn value_of(ty: Type) -> BoxedStrategy<Value> {
    let v = match ty {
        Type::Int => prop_oneof![0i64..5, 1200i64..4500, any::<i16>().prop_map(i64::from)]
            .prop_map(Value::Int)
            .boxed(),
        Type::Money => prop_oneof![
            0i64..10,
            1_999_999_990i64..2_000_000_010,
            99_999_990i64..100_000_010,
            0i64..10_000_000_000,
        ]
        .prop_map(Value::Money)
        .boxed(),
        // 1900–2030, with the reference months' neighbourhoods well covered.
        Type::Date => prop_oneof![-25_567i64..22_000, 20_400i64..20_900]
            .prop_map(|d| Value::Date(api::Date::from_days_since_epoch(d)))
            .boxed(),
        Type::Code => prop_oneof![Just(440604u32), Just(440605u32), 110000u32..660000]
            .prop_map(Value::Code)
            .boxed(),
        Type::String => prop_oneof![Just("祖庙街道"), Just("石湾镇街道"), Just("x")]
            .prop_map(|s| Value::String(s.into()))
            .boxed(),
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
    };
    prop_oneof![1 => Just(Value::Null), 9 => v].boxed()
}
