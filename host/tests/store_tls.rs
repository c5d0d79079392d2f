//! The store on PostgreSQL over TLS: `sslmode=require` encrypts the link and verifies the
//! server's certificate. Runs where the suite's PostgreSQL server speaks TLS and the test knows
//! the CA that signed its certificate (`TICKETBOT_TEST_POSTGRES_CA`, set by `.ci/run`).

use ticketbot::store::{Database, Store};

#[tokio::test]
async fn the_store_talks_to_postgresql_over_verified_tls() {
    let Some(ca) = std::env::var("TICKETBOT_TEST_POSTGRES_CA")
        .ok()
        .filter(|ca| !ca.is_empty())
    else {
        eprintln!("TICKETBOT_TEST_POSTGRES_CA is not set: no TLS server to talk to");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let database = Database::scratch(dir.path()).expect("a test database");
    assert!(
        database.is_shared(),
        "the CA comes with a PostgreSQL server"
    );
    let plain = database.to_string();
    assert!(
        !plain.contains('?'),
        "the suite's server URL has no options"
    );

    let verified = Database::parse(&format!("{plain}?sslmode=require&sslrootcert={ca}")).unwrap();
    let store = Store::connect(&verified).await.expect("connects over TLS");
    assert_eq!(store.settings_marks().await.unwrap(), (0, 0));
    // The server sees this database's bot connections encrypted.
    let (encrypted, in_clear): (i64, i64) = tokio::task::spawn_blocking(move || {
        let mut admin = postgres::Client::connect(&plain, postgres::NoTls).unwrap();
        let row = admin
            .query_one(
                "SELECT count(*) FILTER (WHERE s.ssl), count(*) FILTER (WHERE NOT s.ssl) \
                 FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
                 WHERE a.application_name = 'ticketbot' AND a.datname = current_database()",
                &[],
            )
            .unwrap();
        (row.get(0), row.get(1))
    })
    .await
    .unwrap();
    assert!(encrypted >= 1, "the bot's connections use TLS");
    assert_eq!(in_clear, 0);
    store.close().await;

    // The public roots do not vouch for the test server's certificate: refused, and said so.
    let unverified = Database::parse(&format!("{database}?sslmode=require")).unwrap();
    let refused = Store::connect(&unverified)
        .await
        .expect_err("an unknown issuer is refused");
    assert!(refused.to_string().contains("certificate"), "{refused}");
}
