"""Forms of questions: intake (asking, logging, moderating), the public Q&A filters, staff."""
