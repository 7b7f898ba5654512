//! Test plugin: a root module declared as plexus-plugin-api 1.0.0, standing
//! for a plugin built against API 1 (whose root module had this name and
//! only a `describe` in common with API 2's) and packed with a manifest
//! that claims API 2.

use abi_stable::library::RootModule;
use abi_stable::sabi_types::VersionStrings;
use abi_stable::std_types::RString;
use abi_stable::{declare_root_module_statics, export_root_module, prefix_type::PrefixTypeTrait, StableAbi};

#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = PluginModRef)))]
pub struct PluginMod {
    #[sabi(last_prefix_field)]
    pub describe: extern "C" fn() -> RString,
}

impl RootModule for PluginModRef {
    declare_root_module_statics! {PluginModRef}
    const BASE_NAME: &'static str = "plexus_plugin";
    const NAME: &'static str = "plexus_plugin";
    const VERSION_STRINGS: VersionStrings = VersionStrings::new("1.0.0");
}

extern "C" fn describe() -> RString {
    RString::from("{\"api\": 1, \"operators\": [\"noop\"]}")
}

#[export_root_module]
pub fn root() -> PluginModRef {
    PluginMod { describe }.leak_into_prefix()
}
