"""The portal's pages that combine several apps (home, QPV page, site map, "Mes données", account
deletion): the top layer, which may import every app and which no app imports."""
