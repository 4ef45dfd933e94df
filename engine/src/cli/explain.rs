pub fn run(_a: super::ExplainArgs) -> u8 {
    0
}
