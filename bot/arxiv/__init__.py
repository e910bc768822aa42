"""Everything about arXiv: ids, its calendar, its feeds, and the polite HTTP source that reads them."""
