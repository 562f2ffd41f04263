// Parse an iCalendar document (stdin) with ical.js, the parser of Thunderbird's and many web
// calendars, and print its events as JSON: what a real calendar client reads from Circles' feed.
import ICAL from "ical.js";

let text = "";
for await (const piece of process.stdin) text += piece;
const calendar = new ICAL.Component(ICAL.parse(text));
const events = calendar.getAllSubcomponents("vevent").map((component) => {
  const event = new ICAL.Event(component);
  return {
    uid: event.uid,
    summary: event.summary,
    description: event.description,
    start: event.startDate.toJSDate().toISOString(),
    startIsUtc: event.startDate.zone === ICAL.Timezone.utcTimezone,
    url: component.getFirstPropertyValue("url"),
    stamp: component.getFirstPropertyValue("dtstamp")?.toJSDate().toISOString(),
  };
});
process.stdout.write(JSON.stringify({
  version: calendar.getFirstPropertyValue("version"),
  prodid: calendar.getFirstPropertyValue("prodid"),
  events,
}));
