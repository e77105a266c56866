"""Word lists for the seeded generator: realistic-looking names, not meaningful data."""

FIRST_NAMES = ("Alice", "Bruno", "Chloé", "David", "Emma", "François", "Gabrielle", "Hugo", "Inès", "Jules",
               "Karim", "Léa", "Manon", "Nathan", "Océane", "Paul", "Quentin", "Rose", "Sofia", "Thomas")
LAST_NAMES = ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
              "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "Fournier", "Girard", "Bonnet")
COMPANY_STEMS = ("Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Soylent", "Cyberdyne",
                 "Tyrell", "Wonka", "Vandelay", "Pied Piper", "Dunder", "Massive", "Aperture", "Oscorp",
                 "Nakatomi", "Gringotts", "Monarch", "Blue Sun", "Virtucon", "Gekko", "Prestige", "Bluth")
COMPANY_SUFFIXES = ("SAS", "SA", "Ltd", "GmbH", "Inc.", "Corporation", "Group", "Partners", "Labs", "SARL")
CONTRACT_TYPES = (
    ("Non-Disclosure Agreement", ("Mutual NDA", "One-way NDA", "NDA (FR)")),
    ("Service Agreement", ("Standard Service Agreement", "Consulting Agreement")),
    ("Sales Contract", ("Sales Terms", "Enterprise Order Form", "Reseller Agreement")),
    ("Employment Contract", ("Permanent Contract",)),
    ("Purchase Order", ("Supplier Purchase Order", "Framework Purchase Agreement")),
)
TEMPLATE_LANGUAGES = ("EN", "FR", "DE", "ES")
# smart field names per type; (gb, fr) pairs, the other languages derive from gb
FIELD_NAMES = {
    "text": (("Project code", "Code projet"), ("Governing law", "Droit applicable"), ("PO number", "Numéro de bon"),
             ("Signer title", "Fonction du signataire"), ("Billing contact", "Contact facturation")),
    "number": (("Contract value", "Valeur du contrat"), ("Annual fee", "Frais annuels"),
               ("Headcount", "Effectif"), ("Discount rate", "Taux de remise")),
    "date": (("Renewal date", "Date de renouvellement"), ("Kick-off date", "Date de lancement"),
             ("Review date", "Date de revue")),
    "select": (("Industry", "Secteur"), ("Department", "Département"), ("Risk level", "Niveau de risque"),
               ("Payment terms", "Conditions de paiement"), ("Region", "Région")),
    "multiselect": (("Products", "Produits"), ("Data categories", "Catégories de données"),
                    ("Languages", "Langues")),
    "richtext": (("Special conditions", "Conditions particulières"), ("Scope of work", "Périmètre"),
                 ("Notes", "Notes")),
    "duration": (("Notice period", "Préavis"), ("Initial term", "Durée initiale"), ("Warranty", "Garantie")),
}
# option labels (gb, fr) of each select / multiselect field, keyed by the field's base name
FIELD_OPTIONS = {
    "Industry": (("Technology", "Technologie"), ("Healthcare", "Santé"), ("Finance", "Finance"),
                 ("Retail", "Commerce"), ("Energy", "Énergie"), ("Manufacturing", "Industrie"),
                 ("Legal services", "Services juridiques")),
    "Department": (("Legal", "Juridique"), ("Sales", "Ventes"), ("Marketing", "Marketing"), ("Finance", "Finance"),
                   ("Procurement", "Achats"), ("Human resources", "Ressources humaines"), ("IT", "Informatique")),
    "Risk level": (("Low", "Faible"), ("Medium", "Moyen"), ("High", "Élevé"), ("Critical", "Critique")),
    "Payment terms": (("Net 30", "30 jours"), ("Net 45", "45 jours"), ("Net 60", "60 jours"),
                      ("On receipt", "À réception")),
    "Region": (("Europe", "Europe"), ("North America", "Amérique du Nord"), ("Asia-Pacific", "Asie-Pacifique"),
               ("Latin America", "Amérique latine"), ("Middle East & Africa", "Moyen-Orient et Afrique")),
    "Products": (("Platform", "Plateforme"), ("Analytics", "Analytique"), ("Support", "Support"),
                 ("Training", "Formation"), ("API access", "Accès API")),
    "Data categories": (("Personal data", "Données personnelles"), ("Financial data", "Données financières"),
                        ("Health data", "Données de santé"), ("Employee data", "Données salariés")),
    "Languages": (("English", "Anglais"), ("French", "Français"), ("German", "Allemand"),
                  ("Spanish", "Espagnol"), ("Italian", "Italien")),
}
# text field values that fit the field; other text fields get a phrase
TEXT_CHOICES = {
    "Governing law": ("French law", "English law", "German law", "New York law", "Spanish law"),
    "Signer title": ("CEO", "CFO", "General Counsel", "Head of Procurement", "Sales Director"),
    "Billing contact": ("billing@example.com", "ap@example.com", "finance@example.com"),
}
TEXT_PATTERNS = {"Project code": "PRJ-{:04d}", "PO number": "PO-{:06d}"}
NUMBER_RANGES = {"Discount rate": (0, 40), "Headcount": (5, 5000)}  # others: amounts in euros
OPTION_LABELS = (
    ("Technology", "Technologie"), ("Healthcare", "Santé"), ("Finance", "Finance"), ("Retail", "Commerce"),
    ("Energy", "Énergie"), ("Manufacturing", "Industrie"), ("Legal", "Juridique"), ("Sales", "Ventes"),
    ("Marketing", "Marketing"), ("Low", "Faible"), ("Medium", "Moyen"), ("High", "Élevé"),
    ("30 days", "30 jours"), ("60 days", "60 jours"), ("Europe", "Europe"), ("North America", "Amérique du Nord"),
)
PHRASES = ("Standard terms apply.", "Payment within 30 days of invoice.", "Renewal subject to review.",
           "Confidential information must be returned on request.", "Liability capped at fees paid.",
           "Services delivered remotely.", "Prices exclude VAT.", "Governed by French law.")
CLAUSES = (("Confidentiality", "Protects non-public information."), ("Limitation of liability", "Caps damages."),
           ("Termination", "How either party may end the contract."), ("Governing law", "Applicable law."),
           ("Force majeure", "Events beyond control."), ("Data protection", "GDPR obligations."),
           ("Intellectual property", "Ownership of deliverables."), ("Payment terms", "When invoices are due."))
CUSTOM_OBJECTS = (("Invoices", (("Invoice number", "string"), ("Amount", "number"), ("Due date", "string"))),
                  ("Milestones", (("Milestone", "string"), ("Weight", "number"))))
