//! `kv_server`: one node of the replicated KV store. See `--help`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|arg| arg == "--help" || arg == "-h") {
        println!("{}", kv_server::USAGE);
        return ExitCode::SUCCESS;
    }
    let args = match kv_server::NodeArgs::parse(args) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("kv_server: {message}");
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_max_level(tracing::Level::INFO)
        .init();
    match kv_server::run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("kv_server node {}: {error}", args.id);
            ExitCode::FAILURE
        }
    }
}
