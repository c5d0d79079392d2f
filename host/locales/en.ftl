# English texts of ticketbot. Keys are the same in every locale; variables are written { $name }.
# A guild can override any key in config.toml under [guild.texts].

panel-title = Support
panel-description = Need help from the staff? Press **Open ticket** and choose what it is about. A private channel will be created for you and the staff.
panel-open-button = Open ticket
panel-posted = The ticket panel was posted in { $channel }.
panel-exists = The ticket panel is already in { $channel }: { $link }. Delete that message first if you want a new one.
setup-not-staff = Only staff can set up the ticket panel.
setup-command-description = Post the ticket panel in the configured panel channel
guild-not-configured = This server is not configured for tickets. Ask the bot's operator to add it to config.toml.
choose-type-prompt = What is your ticket about?
choose-type-placeholder = Choose a ticket type
unknown-action = This button is no longer handled by the bot (it may come from an older version). If you need help, open a new ticket from the panel.
action-not-available = This action is not available yet.
discord-error = Discord did not accept the request; please try again in a moment.
