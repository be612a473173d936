"""Session notes and write-ups: organisers write them up, fellows and the public read them."""
