//! The policies congvu ships (config/policies/), compiled in so the binary needs no file
//! beside it. They are loaded into the database at start; provinces add their own
//! versions through the API.

pub const PRESETS: &[(&str, &str)] = &[
    (
        "nd90-2020.toml",
        include_str!("../../../config/policies/nd90-2020.toml"),
    ),
    (
        "nd90-vien-chuc.toml",
        include_str!("../../../config/policies/nd90-vien-chuc.toml"),
    ),
    (
        "nd335-2025.toml",
        include_str!("../../../config/policies/nd335-2025.toml"),
    ),
    (
        "kha-kl91.toml",
        include_str!("../../../config/policies/kha-kl91.toml"),
    ),
    (
        "vn-repeats.toml",
        include_str!("../../../config/policies/vn-repeats.toml"),
    ),
];
