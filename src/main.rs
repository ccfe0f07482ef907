fn main() {
    if let Err(e) = color_eyre::install() {
        eprintln!("claw-tui: warning: cannot install the error reporter: {e}");
    }
    std::process::exit(claw_tui::run());
}
