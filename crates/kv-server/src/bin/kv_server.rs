//! `kv_server`: one node of the replicated KV store. See `--help`.

fn main() -> std::process::ExitCode {
    kv_server::main_with_args(std::env::args().skip(1).collect())
}
