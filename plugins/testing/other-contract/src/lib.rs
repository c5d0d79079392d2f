//! Exports `ticketbot:plugin/plugin@9.0.0`: what a plugin built for a future, incompatible
//! contract looks like to this host.

wit_bindgen::generate!({
    inline: r#"
        package ticketbot:plugin@9.0.0;
        interface plugin {
            describe: func() -> string;
        }
        world action {
            export plugin;
        }
    "#,
});

struct Future;

impl exports::ticketbot::plugin::plugin::Guest for Future {
    fn describe() -> String {
        "from the future".into()
    }
}

export!(Future);
