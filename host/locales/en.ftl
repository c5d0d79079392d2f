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
discord-error = Discord did not accept the request; please try again in a moment.
plugin-host-failed = The bot could not finish this action in time (Discord or the database was slow); please try again in a moment.

# Opening a ticket.
ticket-type-unknown = That ticket type is no longer offered. Press the panel's button again.
ticket-already-opening = Your ticket is already being created; one moment.
ticket-limit = You already have an open ticket: { $channels }. Finish it before opening another.
ticket-guild-full = The staff have as many tickets open as they can handle right now; please try again later.
ticket-cooldown = You opened a ticket of this kind a moment ago; you can open another { $when }.
ticket-created = Your ticket was created: { $channel }
ticket-go-button = Go to the ticket
ticket-categories-full = Your ticket could not be created right now; the staff have been told.
staff-categories-full = ⚠️ A ticket could not be created: every ticket category is full (Discord allows { $limit } channels per category). Add a category to `overflow_categories` in config.toml or close old tickets.

# The welcome message and its buttons.
welcome-title = Ticket #{ $number } · { $type }
welcome-description = Hello { $opener }! Tell us what you need and the staff will answer here.
welcome-field-opener = Opened by
welcome-field-type = Type
welcome-field-claimed = Claimed by
welcome-unclaimed = Nobody yet
button-close = Close
button-claim = Claim
button-unclaim = Unclaim
button-handover = Hand over
button-cancel = Cancel
button-add-member = Add member
button-remove-member = Remove member
button-add-note = Add note

# Refusals.
ticket-closed = This ticket is already closed; its buttons no longer work.
ticket-closing = This ticket is being closed.
not-opener = Only the person who opened this ticket can cancel it.
only-opener = Only the person who opened this ticket can do that.
not-staff = Only staff can do that.
not-participant = Only the ticket's opener and staff can do that.

# Claim.
claim-already = This ticket is already claimed by { $staff }.
claim-not-claimed = This ticket is not claimed.
claim-announced = { $staff } claimed this ticket.
unclaim-announced = { $staff } released this ticket.
handover-done = { $from } handed this ticket to { $to }.
handover-not-staff = { $user } is not staff; the ticket stays as it was.

# Watching the next message.
watch-add-prompt = Mention the users to add in your next message in this ticket (you have { $seconds } seconds).
watch-remove-prompt = Mention the users to remove in your next message in this ticket (you have { $seconds } seconds).
watch-handover-prompt = Mention the staff member who takes over this ticket (you have { $seconds } seconds).
watch-expired = { $user }, no mention arrived within { $seconds } seconds; nothing was changed.
members-added = Added to the ticket: { $users }
members-removed = Removed from the ticket: { $users }
members-not-removable = Not removed (staff, the opener, or not in this ticket): { $users }
note-form-title = Staff note · ticket #{ $number }
note-form-label = Note (only staff see it)
note-empty = The note was empty; nothing was saved.
note-saved-private = 📝 Note saved. Only staff see it: in the close log and the transcript.

# Cancel and close.
cancel-started = Cancelling your ticket…
close-form-title = Close ticket #{ $number }
close-form-reason = Reason (optional)
close-announcement = 🔒 { $staff } closed this ticket. This channel will be deleted in { $seconds } seconds.
close-announcement-reason = 🔒 { $staff } closed this ticket: { $reason }. This channel will be deleted in { $seconds } seconds.
close-store-failed = ⚠️ The transcript could not be saved, so this ticket was NOT closed and nothing was deleted. Staff: try closing again.
close-delete-failed = ⚠️ Discord refused to delete this channel, so the ticket stays open. Staff: check the bot's Manage Channels permission and close again.
close-failed-unexpectedly = ⚠️ Something went wrong while closing this ticket, so it stays open and nothing was deleted. Staff: try closing again; the error is in the bot's log.
dm-closed-title = Your ticket #{ $number } was closed
dm-closed-description = Your ticket in **{ $guild }** was closed. Read its transcript: { $link }
field-closed-by = Closed by
field-closed-at = Closed at
field-reason = Reason
no-reason = No reason given
nobody = —
log-closed-title = Ticket #{ $number } closed
log-cancelled-title = Ticket #{ $number } cancelled by its opener
log-orphaned-title = Ticket #{ $number } closed: its channel was deleted by hand
field-identifier = Identifier
field-transcript = Transcript
field-token = Token
field-opened-by = Opened by
field-claimed-by = Claimed by
field-opened-at = Opened at
field-duration = Duration
field-notes = Notes
field-type = Type
field-dm = DM to the opener
field-transcript-plain = Transcript rendering
transcript-plain-note = The full page could not be rendered, so this transcript is plain text (every message is kept). The error is in the bot's log.
dm-delivered = delivered
dm-refused = not delivered (the opener does not accept DMs)

# The transcript page.
transcript-title = Ticket #{ $number } · { $type }
transcript-notes = Staff notes
transcript-messages = Messages
transcript-deleted = deleted
transcript-edited = edited
transcript-empty = No messages.

## Plugins
plugin-failed = The { $plugin } action failed. The staff were told; please try again later.
plugin-disabled = The { $plugin } action is switched off for now after repeated failures.
plugin-failed-title = Plugin failure
plugin-failed-log = **{ $plugin }** stopped because it { $error }
plugin-disabled-log = It failed { $count } times in a row and is disabled in this server until the bot restarts.
rename-limited = Discord allows only 2 renames of a channel every 10 minutes. Try again in { $minutes } min.
transcript-search = Search messages
transcript-theme = Theme: automatic, dark or light
transcript-command-description = Find a past ticket's transcript by its number or by who opened it
transcript-option-number = The ticket's number (#)
transcript-option-user = Who opened it
transcript-lookup-none = No closed ticket with a transcript matches.
transcript-lookup-line = **#{ $number }** · { $type } · { $opener } · closed { $closed } · { $link }
stats-command-description = Ticket statistics of this server: by type, by staff member, item returns
blacklist-command-description = Block users or roles from opening tickets (staff)
blacklist-add-description = Block a user or a role
blacklist-remove-description = Lift a block
blacklist-list-description = List the blocks
blacklist-option-user = The user
blacklist-option-role = The role
blacklist-option-reason = Why (the blocked user sees it)
blacklist-added = 🚫 { $target } can no longer open tickets here.
blacklist-removed = ✅ { $target } can open tickets again.
blacklist-not-found = { $target } was not blocked.
blacklist-one-target = Give exactly one user or one role.
blacklist-empty = Nobody is blocked.
blacklist-line = • { $target } · { $reason } · by { $by } { $when }
blacklisted = You cannot open tickets in this server. If you think this is a mistake, talk to the staff.
blacklisted-reason = You cannot open tickets in this server: { $reason }
ticket-command-description = Tickets for staff
open-for-description = Open a ticket for a player (they are added and pinged)
open-for-option-user = The player
open-for-option-type = The kind of ticket (default: the first)
open-for-menu = Open ticket
open-for-not-member = { $player } is not a member of this server.
ticket-opened-for = Ticket { $channel } opened for { $player }; they were pinged there.
button-request-close = Ask to close
button-close-yes = Close
button-close-no = Keep open
close-request = { $opener }, { $staff } thinks this ticket can be closed. Close it, or keep it open; without an answer it closes { $when }.
close-request-sent = The opener was asked; without an answer the ticket closes when the request falls due.
close-request-pending = The opener was already asked to confirm a close.
close-request-none = There is no close request to answer any more.
close-request-confirmed = ✅ The opener agreed to close.
close-request-confirmed-reason = the opener confirmed the close
close-request-kept = 👍 The opener kept the ticket open.
close-request-expired = ⏰ No answer: the ticket closes.
close-request-expired-reason = no answer to the close request
plugin-form-too-late = This action wanted to open a form after it had already answered; please press its button again.
opening-form-title = { $type }: a few questions
welcome-field-status = Status
questions-invalid = Your ticket was not opened yet; please fix these answers:
    { $problems }
questions-typed = What you typed:
questions-again = Answer again
question-length = { $min } to { $max } characters

## /plugins
plugins-command-description = Turn this server's plugins on and off (members who manage the server)
plugins-list-description = List the plugins available here, on or off
plugins-enable-description = Turn a plugin on
plugins-disable-description = Turn a plugin off
plugins-option-plugin = The plugin
plugins-not-manager = Only members who can manage the server can change its plugins.
plugins-state-on = on
plugins-state-off = off
plugins-none = No plugins are available here.
plugins-unknown = There is no plugin { $plugin } available here.
plugins-changed = { $plugin } is now { $state }. The next ticket uses it; the dashboard's history has the change.
plugins-refused = Not changed:
    { $problems }
