"""HTTP-level regression suite: the core and both adapters against vcrpy cassettes."""
