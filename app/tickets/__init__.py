"""The ticket core shared by incidents, request items and request tasks: numbering, journal
(public replies, work notes, field-change audit), watchers, attachments and domain events."""
