"""The review face: a finished review as a report, in five output formats."""
