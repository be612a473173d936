"""An expert's availability from their own calendar (issue 25, item 7).

``busy`` reads an .ics file (events, repeating ones expanded within the visit, and free/busy periods)
into the visit's half-days that look busy, keeping only the times ("busy 09:00–11:00"), never what the
entries were; ``fetching`` gets a published free/busy address over https. Both are pure of the app and
the database: the pages pass the visit's hours, the zone and the limits in. Nothing counts until the
expert (or an organiser for them) confirms the preview (``invitations.mark_unavailable``).
"""
