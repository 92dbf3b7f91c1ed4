print("palisadectl: not yet implemented")
