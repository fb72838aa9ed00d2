"""Container images: references (`references`), tag versions and constraints (`tags`), where pod
templates hold containers (`pods`), the index of what runs where (`index`, `store`), the query."""
