// placeholder: replaced by the embedding tool
print("")
