//! `cargo run -p solution`: the finished chatroom, on the lab's port and database.

#[rocket::launch]
fn rocket() -> _ {
    solution::build(lab::config::figment())
}
