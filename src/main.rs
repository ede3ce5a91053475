use clap::Parser;

fn main() {
    let cli = congvu::cli::Cli::parse();
    if let Err(message) = congvu::cli::run(cli) {
        eprintln!("congvu: {message}");
        std::process::exit(1);
    }
}
