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
action-not-available = Esta ação ainda não está disponível.
discord-error = O Discord não aceitou o pedido; tente de novo em instantes.
