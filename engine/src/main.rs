fn main() -> std::process::ExitCode {
    xpr::cli::main()
}
