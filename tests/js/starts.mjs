// Reads an .ics file with ical.js (the parser inside Thunderbird) and prints one line per VEVENT:
// its UID, a tab, and its start as a UTC instant in ISO 8601. ical.js resolves each TZID through the
// VTIMEZONE components of the file itself, so this checks the file, not the machine's zone database.
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const text = readFileSync(process.argv[2] ?? 0, "utf8");
const calendar = new ICAL.Component(ICAL.parse(text));
for (const vevent of calendar.getAllSubcomponents("vevent")) {
  const event = new ICAL.Event(vevent);
  const start = event.startDate;
  if (start.zone === ICAL.Timezone.localTimezone) {
    // A floating time: its TZID was not found in the file.
    throw new Error(`${event.uid}: TZID ${vevent.getFirstProperty("dtstart").getParameter("tzid")} has no VTIMEZONE`);
  }
  console.log(`${event.uid}\t${start.toJSDate().toISOString()}`);
}
