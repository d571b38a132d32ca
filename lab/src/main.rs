//! `cargo run -p lab`: the chatroom on http://127.0.0.1:8000 (see Rocket.toml).

#[rocket::launch]
fn rocket() -> _ {
    lab::build(lab::config::figment())
}
