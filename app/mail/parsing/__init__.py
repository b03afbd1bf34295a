"""Pure readers of RFC 5322 messages (no Flask, no database): parsing with Python's ``email``,
text from HTML, quoted history and signatures stripped, automated mail and bounces recognised."""
