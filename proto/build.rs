//! Generates the tonic/prost code for `auth/v1` and `gateway/v1` with a
//! vendored `protoc`, so a fresh clone builds without a system protoc. A
//! user-set `PROTOC` wins.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=auth/v1");
    println!("cargo:rerun-if-changed=gateway/v1");
    println!("cargo:rerun-if-env-changed=PROTOC");
    let protoc = match std::env::var_os("PROTOC") {
        Some(path) => std::path::PathBuf::from(path),
        None => protoc_bin_vendored::protoc_bin_path()?,
    };
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    for (descriptor, file) in [
        (
            "gatehouse_auth_v1_descriptor.bin",
            "auth/v1/user_directory.proto",
        ),
        (
            "gatehouse_gateway_v1_descriptor.bin",
            "gateway/v1/server_api.proto",
        ),
    ] {
        let mut config = tonic_prost_build::Config::new();
        config.protoc_executable(&protoc);
        tonic_prost_build::configure()
            .file_descriptor_set_path(out.join(descriptor))
            .compile_with_config(config, &[file], &["."])?;
    }
    Ok(())
}
