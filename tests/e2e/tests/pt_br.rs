//! pt-BR is the first language: one ticket walked through every flow a player or staff member
//! reads (refusals, poke and its DM, an item return and its decision, the close with its DM and
//! log), asserting the Portuguese texts they see.

use serde_json::Value;
use ticketbot_e2e::{custom_ids, eventually, id_of, says, Harness, WAIT};

fn button(welcome: &Value, prefix: &str) -> String {
    custom_ids(welcome)
        .concat()
        .into_iter()
        .find(|id| id.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix} button in {welcome}"))
}

fn plugin_button(welcome: &Value, plugin: &str) -> String {
    button(welcome, &format!("pl:{plugin}:"))
}

fn field<'a>(embed: &'a Value, name: &str) -> &'a str {
    embed["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .and_then(|f| f["value"].as_str())
        .unwrap_or_else(|| panic!("no field {name} in {embed}"))
}

async fn click_for_text(h: &Harness, user: u64, message: u64, custom_id: &str) -> String {
    let click = h.emu.user(user).click(message, custom_id).unwrap();
    ticketbot_e2e::answer_text(&click).await
}

fn dm_of(h: &Harness, user: u64, index: usize) -> Option<Value> {
    let channel = h.emu.world(|w| w.dm_channels.get(&user).copied())?;
    h.emu.messages_in(channel).into_iter().nth(index)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_reads_in_portuguese_from_refusal_to_close() {
    let h = Harness::start_with("pt-BR", |w| w.close_delay_seconds = 1).await;
    let (channel, welcome) = h.open_ticket(h.world.player, "support").await;
    let (player, staff) = (h.world.player, h.world.staff);
    let welcome_id = id_of(&welcome);

    // Refusals.
    let close = button(&welcome, "tb:close:");
    let poke = plugin_button(&welcome, "poke");
    for custom_id in [&close, &poke] {
        assert_eq!(
            click_for_text(&h, player, welcome_id, custom_id).await,
            "Apenas a equipe pode fazer isso."
        );
    }
    assert_eq!(
        click_for_text(&h, staff, welcome_id, &button(&welcome, "tb:cancel:")).await,
        "Apenas quem abriu este ticket pode cancelá-lo."
    );

    // Poke and its DM.
    assert_eq!(
        click_for_text(&h, staff, welcome_id, &poke).await,
        "Quem abriu o ticket foi cutucado por DM."
    );
    let dm = eventually("the poke DM", || dm_of(&h, player, 0)).await;
    assert_eq!(dm["embeds"][0]["title"], "👋 Seu ticket precisa de você");
    let text = dm["embeds"][0]["description"].as_str().unwrap();
    assert!(
        text.starts_with(&format!("Olá <@{player}>!"))
            && text.contains("está esperando sua resposta no ticket #1"),
        "{text}"
    );
    assert_eq!(
        dm["components"][0]["components"][0]["label"],
        "Ir para o ticket"
    );
    assert!(click_for_text(&h, staff, welcome_id, &poke)
        .await
        .starts_with("Este ticket foi cutucado há pouco; tente de novo em"));

    // An item return: a refusal that gives back what was typed, then a request and its decision.
    let item = plugin_button(&welcome, "item-return");
    let actor = h.emu.user(staff);
    let form = actor.click(welcome_id, &item).unwrap();
    let modal = form.response(WAIT).await.unwrap();
    assert_eq!(modal["data"]["title"], "Devolução de itens");
    let bad = actor
        .submit_modal(&form, &[("recipient", "abc"), ("items", "2x munição")])
        .unwrap();
    let bad = ticketbot_e2e::answer_text(&bad).await;
    assert!(
        bad.starts_with("O pedido não foi enviado:")
            && bad.contains("o ID no jogo deve ter de 1 a 10 dígitos")
            && bad.contains("O que você digitou, para copiar num novo pedido:"),
        "{bad}"
    );
    let form = actor.click(welcome_id, &item).unwrap();
    form.response(WAIT).await.unwrap();
    let from = h.emu.log_position();
    let sent = actor
        .submit_modal(
            &form,
            &[("recipient", "4711"), ("items", "2x munição\n1x celular")],
        )
        .unwrap();
    assert_eq!(
        ticketbot_e2e::answer_text(&sent).await,
        "Devolução #1 enviada para aprovação."
    );
    h.message_where(from, channel, |m| {
        says(
            m,
            "📦 Devolução #1 para o ID 4711 foi enviada para aprovação.",
        )
    })
    .await;
    let request = h.message_after(from, h.world.item_return_channel).await;
    let embed = &request["embeds"][0];
    assert_eq!(embed["title"], "📦 Devolução de itens #1");
    assert_eq!(field(embed, "Destinatário (ID no jogo)"), "4711");
    assert_eq!(field(embed, "Pedido por"), format!("<@{staff}>"));
    let labels: Vec<&str> = request["components"][0]["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["label"].as_str())
        .collect();
    assert_eq!(labels, ["Aprovar", "Negar"]);
    let approve = custom_ids(&request)[0][0].clone();
    assert_eq!(
        click_for_text(&h, staff, id_of(&request), &approve).await,
        "Apenas aprovadores podem decidir devoluções."
    );
    h.emu
        .user(h.world.approver)
        .click(id_of(&request), &approve)
        .unwrap()
        .response(WAIT)
        .await
        .unwrap();
    let decided = eventually("the decision", || {
        h.emu
            .messages_in(h.world.item_return_channel)
            .into_iter()
            .find(|m| id_of(m) == id_of(&request) && custom_ids(m).is_empty())
    })
    .await;
    assert!(field(&decided["embeds"][0], "Decisão")
        .starts_with(&format!("✅ Aprovada — <@{}>", h.world.approver)));

    // The close: the announcement, the opener's DM and the log.
    let from = h.emu.log_position();
    let form = actor.click(welcome_id, &close).unwrap();
    assert_eq!(form.response(WAIT).await.unwrap()["type"], 9);
    let announcement = actor
        .submit_modal(&form, &[("reason", "resolvido")])
        .unwrap()
        .response(WAIT)
        .await
        .unwrap();
    assert_eq!(
        announcement["data"]["content"],
        format!(
            "🔒 <@{staff}> fechou este ticket: resolvido. Este canal será apagado em 1 segundos."
        )
    );
    let dm = eventually("the close DM", || dm_of(&h, player, 1)).await;
    let embed = &dm["embeds"][0];
    assert_eq!(embed["title"], "Seu ticket #1 foi fechado");
    assert!(embed["description"]
        .as_str()
        .unwrap()
        .starts_with("Seu ticket em **"));
    assert_eq!(field(embed, "Fechado por"), format!("<@{staff}>"));
    assert_eq!(field(embed, "Motivo"), "resolvido");
    assert!(field(embed, "Fechado em").starts_with("<t:"));
    let log = h
        .message_where(from, h.world.log_channel, |m| {
            m["embeds"][0]["title"] == "Ticket #1 fechado"
        })
        .await;
    let embed = &log["embeds"][0];
    assert_eq!(field(embed, "Identificador"), "#1");
    assert_eq!(field(embed, "Aberto por"), format!("<@{player}>"));
    assert_eq!(field(embed, "Fechado por"), format!("<@{staff}>"));
    assert_eq!(field(embed, "Assumido por"), "—");
    assert_eq!(field(embed, "DM para quem abriu"), "entregue");
    assert!(field(embed, "Transcrição").contains("/api/ticket/"));
    h.finish().await;
}
