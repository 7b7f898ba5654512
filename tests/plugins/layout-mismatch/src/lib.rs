//! Test plugin: claims plexus-plugin-api 2.0.0 but its root module has
//! another layout, standing for a plugin built against a modified API crate.

use abi_stable::library::RootModule;
use abi_stable::sabi_types::VersionStrings;
use abi_stable::std_types::RString;
use abi_stable::{declare_root_module_statics, export_root_module, prefix_type::PrefixTypeTrait, StableAbi};

#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = PluginModRef)))]
pub struct PluginMod {
    pub describe: extern "C" fn() -> RString,
    #[sabi(last_prefix_field)]
    pub new_operator: extern "C" fn(u64) -> u64,
}

impl RootModule for PluginModRef {
    declare_root_module_statics! {PluginModRef}
    const BASE_NAME: &'static str = "plexus_plugin";
    const NAME: &'static str = "plexus_plugin";
    const VERSION_STRINGS: VersionStrings = VersionStrings::new("2.0.0");
}

extern "C" fn describe() -> RString {
    RString::from("{\"api\": 2, \"operators\": [\"noop\"]}")
}

extern "C" fn new_operator(x: u64) -> u64 {
    x
}

#[export_root_module]
pub fn root() -> PluginModRef {
    PluginMod { describe, new_operator }.leak_into_prefix()
}
