"""The chapter's flag download, offline: a local slow, flaky server and the download task."""
