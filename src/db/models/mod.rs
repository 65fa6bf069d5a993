//! Row structs (`X`), insert structs (`NewX`) and the query functions of each
//! table. Every function takes `&mut Conn` and runs synchronously; callers in
//! async code wrap them in `web::block`.

pub mod articles;
pub mod manuals;
pub mod outbox;
pub mod search_log;
pub mod sessions;
pub mod setup_tokens;
pub mod trees;
pub mod users;
