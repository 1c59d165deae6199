package seed

// FirstNames and LastNames are what a French customer file looks like:
// accents, hyphens, apostrophes, particles, names from elsewhere.
var FirstNames = []string{
	"Mélanie", "Éric", "Hélène", "Jérôme", "Françoise", "Loïc", "Anaïs", "Chloé",
	"Zoé", "Noël", "Agnès", "Benoît", "Cécile", "Clément", "Daniel", "Élodie",
	"Émilie", "Étienne", "François", "Gaëlle", "Geneviève", "Grégoire", "Inès",
	"Jean-Pierre", "Joël", "Léa", "Léon", "Lucie", "Maëlle", "Marie-Hélène",
	"Mathéo", "Michèle", "Noémie", "Océane", "Pénélope", "Rémi", "Renée",
	"Sébastien", "Séverine", "Stéphane", "Thérèse", "Valérie", "Véronique",
	"Yannick", "Amélie", "André", "Aurélie", "Bérénice", "Denis", "Dominique",
	"Frédéric", "Gérard", "Ghislaine", "Hervé", "Irène", "Jacques", "Jérémie",
	"Karine", "Laetitia", "Léonie", "Margaux", "Nathalie", "Pascal", "Perrine",
	"Raphaël", "Solène", "Sylvie", "Théo", "Timothée", "Yvette", "Aïcha",
	"Mohamed", "Karim", "Youssef", "Fatoumata", "Ndèye", "Thúy", "Minh",
	"Jean", "Marie", "Pierre", "Sophie", "Nicolas", "Isabelle", "Philippe",
	"Camille", "Julien", "Manon", "Hugo", "Emma", "Louis", "Jade", "Gabriel",
}

var LastNames = []string{
	"Dupont", "Loubet", "Lefèvre", "Ngô", "Martin", "Bernard", "Dubois", "Thomas",
	"Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau", "Simon", "Laurent",
	"Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent",
	"Fournier", "Morel", "Girard", "André", "Mercier", "Bonnet", "Lambert",
	"François", "Martinez", "Legrand", "Garnier", "Faure", "Rousseau", "Blanc",
	"Guérin", "Muller", "Henry", "Roussel", "Perrin", "Morin", "Mathieu",
	"Clément", "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin",
	"Masson", "Sanchez", "Gérard", "Nguyen", "Boyer", "Lemaire", "Duval", "Joly",
	"Roche", "Noël", "Meyer", "Meunier", "Pérez", "Marchand", "Dufour",
	"Blanchard", "Barbier", "Brun", "Dumas", "Brunet", "Schmitt", "Leroux",
	"Colin", "Fernandez", "Renard", "Arnaud", "Rolland", "Caron", "Aubert",
	"Giraud", "Leclerc", "Vidal", "Bourgeois", "Renaud", "Lemoine", "Picard",
	"Gaillard", "Lacroix", "Fabre", "Dupuis", "Olivier", "Da Silva", "Hubert",
	"Guillot", "Rivière", "Le Gall", "Le Goff", "N'Diaye", "Diallo", "Traoré",
	"Bénard", "Lévêque", "Ménard", "Château", "Côté", "Hoàng", "Trần", "Lê",
	"Phạm", "Müller", "Saint-Éloi", "de La Tour", "d'Aubigné", "Étienne", "Œuvray",
}

// Structures are who callers and visitors say they speak for ("de quelle
// structure"): residences, landlords, co-ownerships, firms, public bodies.
var Structures = []string{
	"Résidence Les Flamboyants", "Résidence du Parc", "SCI Les Hibiscus", "SCI du Port", "Syndic Grondin",
	"Copropriété Le Belvédère", "Cabinet Martin & Associés", "Étude Payet, notaires", "Mairie de Saint-Paul",
	"CAF de La Réunion", "Agence Immobilière du Centre", "SARL Bâti-Sud", "Plomberie Hoarau",
	"Association des locataires Les Lataniers", "Crédit Agricole", "Société Générale", "MAIF", "AXA Assurances",
	"Office de tourisme", "Lycée Leconte de Lisle", "EHPAD Les Camélias", "Centre communal d'action sociale",
}
