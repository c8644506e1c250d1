"""Customer questions with the catalogue entry that answers them (SKU, or ``FAQ:<question>``).

Written by hand against bot/shop/catalogue.yml; paraphrased so that keyword overlap alone
does not find the answer (e.g. "do you ship abroad" -> "Do you ship internationally?").
"""

RETRIEVAL_CHECKS = [
    ("is the denim jacket machine washable?", "APP-001"),
    ("does the merino sweater itch", "APP-002"),
    ("is the rain jacket really waterproof", "APP-004"),
    ("what sizes does the hoodie come in", "APP-007"),
    ("how warm is the puffer jacket", "APP-008"),
    ("are the running shoes good for wide feet", "SHO-001"),
    ("are the hiking boots waterproof", "SHO-004"),
    ("how long does the battery of the wireless earbuds last", "ELE-001"),
    ("is the bluetooth speaker water resistant", "ELE-002"),
    ("how many times can the power bank charge my phone", "ELE-005"),
    ("can the 65w charger charge a macbook", "ELE-006"),
    ("do the over-ear headphones have noise cancelling", "ELE-010"),
    ("does the keyboard work with an ipad", "ELE-012"),
    ("how many ports does the usb c hub have", "ELE-014"),
    ("are the kids headphones safe for a 5 year old", "ELE-021"),
    ("what capacity is the air fryer", "HOM-001"),
    ("can the skillet go in the oven", "HOM-007"),
    ("is the chef knife dishwasher safe", "HOM-008"),
    ("how heavy is the weighted blanket", "HOM-011"),
    ("does the robot vacuum work on carpet", "HOM-020"),
    ("how many people fit in the tent", "OUT-003"),
    ("what temperature is the sleeping bag rated for", "OUT-005"),
    ("how long does the headlamp battery last", "OUT-004"),
    ("is the face serum ok for sensitive skin", "BEA-001"),
    ("is the sunscreen water resistant", "BEA-003"),
    ("how thick is the yoga mat", "SPO-001"),
    ("what weights do the adjustable dumbbells go up to", "SPO-002"),
    ("does the gps watch track swimming", "SPO-009"),
    ("do you ship abroad", "FAQ:Do you ship internationally?"),
    ("can i pay later in installments", "FAQ:Can I pay in instalments?"),
    ("is there free delivery", "FAQ:Do you offer free shipping?"),
    (
        "my package says delivered but its not here",
        "FAQ:My parcel says delivered but I have not received it. What should I do?",
    ),
    ("what guarantee do your products come with", "FAQ:What warranty do your products have?"),
    ("can i swap my shoes for a bigger size", "FAQ:Can I exchange an item for a different size?"),
    ("do i need an account to buy something", "FAQ:Can I order without an account?"),
    ("the mug arrived broken", "FAQ:What should I do if my item arrived damaged?"),
    (
        "can I collect my order from a pickup locker",
        "FAQ:Can I have my parcel delivered to a pickup point?",
    ),
    ("when do you take the money from my card", "FAQ:When is my card charged?"),
    ("i need a vat receipt for my company", "FAQ:Can I get a VAT invoice?"),
    ("how do I reset my password", "FAQ:I forgot my password. How do I reset it?"),
]
