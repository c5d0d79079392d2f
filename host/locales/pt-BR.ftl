# Textos do ticketbot em português do Brasil. As chaves são as mesmas em todos os idiomas;
# variáveis são escritas { $nome }. Um servidor pode trocar qualquer texto no config.toml em
# [guild.texts].

panel-title = Suporte
panel-description = Precisa de ajuda da equipe? Clique em **Abrir ticket** e escolha o assunto. Um canal privado será criado para você e a equipe.
panel-open-button = Abrir ticket
panel-posted = O painel de tickets foi publicado em { $channel }.
panel-exists = O painel de tickets já está em { $channel }: { $link }. Apague aquela mensagem antes se quiser um novo.
setup-not-staff = Apenas a equipe pode configurar o painel de tickets.
setup-command-description = Publica o painel de tickets no canal configurado
guild-not-configured = Este servidor não está configurado para tickets. Peça ao operador do bot para adicioná-lo ao config.toml.
choose-type-prompt = Qual é o assunto do seu ticket?
choose-type-placeholder = Escolha o tipo de ticket
unknown-action = Este botão não é mais tratado pelo bot (pode ser de uma versão antiga). Se precisar de ajuda, abra um novo ticket pelo painel.
discord-error = O Discord não aceitou o pedido; tente de novo em instantes.
plugin-host-failed = O bot não conseguiu concluir esta ação a tempo (o Discord ou o banco de dados demorou); tente de novo em instantes.

# Abrindo um ticket.
ticket-type-unknown = Esse tipo de ticket não é mais oferecido. Clique de novo no botão do painel.
ticket-already-opening = Seu ticket já está sendo criado; um momento.
ticket-limit = Você já tem um ticket aberto: { $channels }. Finalize-o antes de abrir outro.
ticket-guild-full = A equipe já tem o máximo de tickets abertos que consegue atender agora; tente de novo mais tarde.
ticket-cooldown = Você abriu um ticket deste tipo há pouco; poderá abrir outro { $when }.
ticket-created = Seu ticket foi criado: { $channel }
ticket-go-button = Ir para o ticket
ticket-categories-full = Não foi possível criar seu ticket agora; a equipe foi avisada.
staff-categories-full = ⚠️ Um ticket não pôde ser criado: todas as categorias de tickets estão cheias (o Discord permite { $limit } canais por categoria). Adicione uma categoria em `overflow_categories` no config.toml ou feche tickets antigos.

# A mensagem de boas-vindas e seus botões.
welcome-title = Ticket #{ $number } · { $type }
welcome-description = Olá { $opener }! Conte o que você precisa e a equipe responderá aqui.
welcome-field-opener = Aberto por
welcome-field-type = Tipo
welcome-field-claimed = Assumido por
welcome-unclaimed = Ninguém ainda
button-close = Fechar
button-claim = Assumir
button-unclaim = Liberar
button-handover = Passar adiante
button-cancel = Cancelar
button-add-member = Adicionar membro
button-remove-member = Remover membro
button-add-note = Adicionar nota

# Recusas.
ticket-closed = Este ticket já foi fechado; seus botões não funcionam mais.
ticket-closing = Este ticket está sendo fechado.
not-opener = Apenas quem abriu este ticket pode cancelá-lo.
only-opener = Apenas quem abriu este ticket pode fazer isso.
not-staff = Apenas a equipe pode fazer isso.
not-participant = Apenas quem abriu o ticket e a equipe podem fazer isso.

# Assumir.
claim-already = Este ticket já foi assumido por { $staff }.
claim-not-claimed = Este ticket não está assumido.
claim-announced = { $staff } assumiu este ticket.
unclaim-announced = { $staff } liberou este ticket.
handover-done = { $from } passou este ticket para { $to }.
handover-not-staff = { $user } não é da equipe; o ticket continua como estava.

# Aguardando a próxima mensagem.
watch-add-prompt = Mencione os usuários a adicionar na sua próxima mensagem neste ticket (você tem { $seconds } segundos).
watch-remove-prompt = Mencione os usuários a remover na sua próxima mensagem neste ticket (você tem { $seconds } segundos).
watch-handover-prompt = Mencione o membro da equipe que assume este ticket (você tem { $seconds } segundos).
watch-expired = { $user }, nenhuma menção chegou em { $seconds } segundos; nada foi alterado.
members-added = Adicionados ao ticket: { $users }
members-removed = Removidos do ticket: { $users }
members-not-removable = Não removidos (equipe, quem abriu, ou fora deste ticket): { $users }
note-form-title = Nota da equipe · ticket #{ $number }
note-form-label = Nota (só a equipe vê)
note-empty = A nota estava vazia; nada foi salvo.
note-saved-private = 📝 Nota salva. Só a equipe vê: no log do fechamento e na transcrição.

# Cancelar e fechar.
cancel-started = Cancelando seu ticket…
close-form-title = Fechar ticket #{ $number }
close-form-reason = Motivo (opcional)
close-announcement = 🔒 { $staff } fechou este ticket. Este canal será apagado em { $seconds } segundos.
close-announcement-reason = 🔒 { $staff } fechou este ticket: { $reason }. Este canal será apagado em { $seconds } segundos.
close-store-failed = ⚠️ A transcrição não pôde ser salva, então este ticket NÃO foi fechado e nada foi apagado. Equipe: tente fechar de novo.
close-delete-failed = ⚠️ O Discord recusou apagar este canal, então o ticket continua aberto. Equipe: verifique a permissão Gerenciar Canais do bot e feche de novo.
close-failed-unexpectedly = ⚠️ Algo deu errado ao fechar este ticket, então ele continua aberto e nada foi apagado. Equipe: tente fechar de novo; o erro está no log do bot.
dm-closed-title = Seu ticket #{ $number } foi fechado
dm-closed-description = Seu ticket em **{ $guild }** foi fechado. Leia a transcrição: { $link }
field-closed-by = Fechado por
field-closed-at = Fechado em
field-reason = Motivo
no-reason = Nenhum motivo informado
nobody = —
log-closed-title = Ticket #{ $number } fechado
log-cancelled-title = Ticket #{ $number } cancelado por quem abriu
log-orphaned-title = Ticket #{ $number } fechado: o canal foi apagado manualmente
field-identifier = Identificador
field-transcript = Transcrição
field-token = Token
field-opened-by = Aberto por
field-claimed-by = Assumido por
field-opened-at = Aberto em
field-duration = Duração
field-notes = Notas
field-type = Tipo
field-dm = DM para quem abriu
field-transcript-plain = Geração da transcrição
transcript-plain-note = A página completa não pôde ser gerada, então esta transcrição está em texto simples (todas as mensagens foram mantidas). O erro está no log do bot.
dm-delivered = entregue
dm-refused = não entregue (quem abriu não aceita DMs)

# A página de transcrição.
transcript-title = Ticket #{ $number } · { $type }
transcript-notes = Notas da equipe
transcript-messages = Mensagens
transcript-deleted = apagada
transcript-edited = editada
transcript-empty = Nenhuma mensagem.

## Plugins
plugin-failed = A ação { $plugin } falhou. A equipe foi avisada; tente de novo mais tarde.
plugin-disabled = A ação { $plugin } está desligada por enquanto após falhas repetidas.
plugin-failed-title = Falha de plugin
plugin-failed-log = **{ $plugin }** parou: { $error }
plugin-disabled-log = Falhou { $count } vezes seguidas e está desativado neste servidor até o bot reiniciar.
rename-limited = O Discord permite apenas 2 renomeações de um canal a cada 10 minutos. Tente de novo em { $minutes } min.
transcript-search = Buscar mensagens
transcript-theme = Tema: automático, escuro ou claro
transcript-command-description = Encontre a transcrição de um ticket antigo pelo número ou por quem o abriu
transcript-option-number = O número do ticket (#)
transcript-option-user = Quem abriu
transcript-lookup-none = Nenhum ticket fechado com transcrição corresponde.
transcript-lookup-line = **#{ $number }** · { $type } · { $opener } · fechado { $closed } · { $link }
stats-command-description = Estatísticas de tickets deste servidor: por tipo, por membro da equipe, devoluções
blacklist-command-description = Bloqueia usuários ou cargos de abrir tickets (equipe)
blacklist-add-description = Bloquear um usuário ou um cargo
blacklist-remove-description = Desfazer um bloqueio
blacklist-list-description = Listar os bloqueios
blacklist-option-user = O usuário
blacklist-option-role = O cargo
blacklist-option-reason = Por quê (o bloqueado vê)
blacklist-added = 🚫 { $target } não pode mais abrir tickets aqui.
blacklist-removed = ✅ { $target } pode abrir tickets de novo.
blacklist-not-found = { $target } não estava bloqueado.
blacklist-one-target = Informe exatamente um usuário ou um cargo.
blacklist-empty = Ninguém está bloqueado.
blacklist-line = • { $target } · { $reason } · por { $by } { $when }
blacklisted = Você não pode abrir tickets neste servidor. Se acha que é um engano, fale com a equipe.
blacklisted-reason = Você não pode abrir tickets neste servidor: { $reason }
ticket-command-description = Tickets para a equipe
open-for-description = Abrir um ticket para um jogador (ele é adicionado e mencionado)
open-for-option-user = O jogador
open-for-option-type = O tipo de ticket (padrão: o primeiro)
open-for-menu = Abrir ticket
open-for-not-member = { $player } não é membro deste servidor.
ticket-opened-for = Ticket { $channel } aberto para { $player }; ele foi mencionado lá.
button-request-close = Pedir fechamento
button-close-yes = Fechar
button-close-no = Manter aberto
close-request = { $opener }, { $staff } acha que este ticket pode ser fechado. Feche-o ou mantenha aberto; sem resposta ele fecha { $when }.
close-request-sent = Quem abriu foi consultado; sem resposta o ticket fecha no prazo.
close-request-pending = Quem abriu já foi consultado sobre o fechamento.
close-request-none = Não há mais pedido de fechamento para responder.
close-request-confirmed = ✅ Quem abriu concordou em fechar.
close-request-confirmed-reason = quem abriu confirmou o fechamento
close-request-kept = 👍 Quem abriu manteve o ticket aberto.
close-request-expired = ⏰ Sem resposta: o ticket será fechado.
close-request-expired-reason = sem resposta ao pedido de fechamento
plugin-form-too-late = Esta ação quis abrir um formulário depois de já ter respondido; aperte o botão dela de novo.
opening-form-title = { $type }: algumas perguntas
welcome-field-status = Status
questions-invalid = Seu ticket ainda não foi aberto; corrija estas respostas:
    { $problems }
questions-typed = O que você digitou:
questions-again = Responder de novo
question-length = de { $min } a { $max } caracteres

## /plugins
plugins-command-description = Liga e desliga os plugins deste servidor (quem gerencia o servidor)
plugins-list-description = Lista os plugins disponíveis aqui, ligados ou não
plugins-enable-description = Liga um plugin
plugins-disable-description = Desliga um plugin
plugins-option-plugin = O plugin
plugins-not-manager = Só quem pode gerenciar o servidor muda os plugins dele.
plugins-state-on = ligado
plugins-state-off = desligado
plugins-none = Nenhum plugin está disponível aqui.
plugins-unknown = Não há um plugin { $plugin } disponível aqui.
plugins-changed = { $plugin } agora está { $state }. O próximo ticket já usa; o histórico do painel tem a mudança.
plugins-refused = Nada mudou:
    { $problems }
