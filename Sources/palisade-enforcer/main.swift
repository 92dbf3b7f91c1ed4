print("palisade-enforcer: not yet implemented")
