"""Community: tips and their votes (`tips`), the tips boards (`boards`), reputation (`reputation`),
and the pure scoring rules both rank by (`scoring`). Boards and reputation are projections of events,
rebuilt exactly by `floorboard replay`."""
