fn main() {
    panic!("the build script of this submission fails on purpose");
}
