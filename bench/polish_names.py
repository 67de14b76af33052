"""Polish first names and surnames for the bench database, with diacritics where real names have
them (so folded search is measured on realistic data). Roughly frequency-ordered; the generator
draws from them with a skew, as real registers are dominated by a few common names."""

from __future__ import annotations

MALE_FIRST = (
    "Piotr", "Krzysztof", "Andrzej", "Tomasz", "Paweł", "Jan", "Michał", "Marcin", "Stanisław",
    "Jakub", "Adam", "Marek", "Łukasz", "Grzegorz", "Mateusz", "Wojciech", "Mariusz", "Dariusz",
    "Zbigniew", "Jerzy", "Maciej", "Rafał", "Robert", "Kamil", "Józef", "Tadeusz", "Ryszard",
    "Szymon", "Kacper", "Dawid", "Jacek", "Mirosław", "Sławomir", "Bartłomiej", "Henryk",
    "Zdzisław", "Przemysław", "Bogdan", "Filip", "Antoni", "Wiesław", "Kazimierz", "Leszek",
    "Zenon", "Czesław", "Władysław", "Mieczysław", "Bolesław", "Jędrzej", "Franciszek",
)

FEMALE_FIRST = (
    "Anna", "Maria", "Katarzyna", "Małgorzata", "Agnieszka", "Barbara", "Ewa", "Krystyna",
    "Magdalena", "Elżbieta", "Joanna", "Aleksandra", "Zofia", "Monika", "Teresa", "Danuta",
    "Natalia", "Julia", "Karolina", "Marta", "Beata", "Dorota", "Halina", "Jadwiga", "Janina",
    "Alicja", "Jolanta", "Iwona", "Grażyna", "Irena", "Bożena", "Urszula", "Renata", "Paulina",
    "Justyna", "Agata", "Helena", "Wiesława", "Stanisława", "Łucja", "Żaneta", "Gabriela",
    "Weronika", "Wiktoria", "Zuzanna", "Hanna", "Bogumiła", "Jagoda", "Marianna", "Róża",
)

# Surnames that change with sex: (male, female).
GENDERED_SURNAMES = (
    ("Kowalski", "Kowalska"), ("Wiśniewski", "Wiśniewska"), ("Wójcicki", "Wójcicka"),
    ("Kamiński", "Kamińska"), ("Lewandowski", "Lewandowska"), ("Zieliński", "Zielińska"),
    ("Szymański", "Szymańska"), ("Woźniak", "Woźniak"), ("Dąbrowski", "Dąbrowska"),
    ("Kozłowski", "Kozłowska"), ("Jankowski", "Jankowska"), ("Mazurkiewicz", "Mazurkiewicz"),
    ("Kwiatkowski", "Kwiatkowska"), ("Krawczyk", "Krawczyk"), ("Piotrowski", "Piotrowska"),
    ("Grabowski", "Grabowska"), ("Nowakowski", "Nowakowska"), ("Pawłowski", "Pawłowska"),
    ("Michalski", "Michalska"), ("Nowicki", "Nowicka"), ("Adamczyk", "Adamczyk"),
    ("Dudek", "Dudek"), ("Zając", "Zając"), ("Wieczorek", "Wieczorek"), ("Jabłoński", "Jabłońska"),
    ("Król", "Król"), ("Majewski", "Majewska"), ("Olszewski", "Olszewska"),
    ("Jaworski", "Jaworska"), ("Wróbel", "Wróbel"), ("Malinowski", "Malinowska"),
    ("Pawlak", "Pawlak"), ("Witkowski", "Witkowska"), ("Walczak", "Walczak"),
    ("Stępień", "Stępień"), ("Górski", "Górska"), ("Rutkowski", "Rutkowska"),
    ("Michalak", "Michalak"), ("Sikora", "Sikora"), ("Ostrowski", "Ostrowska"),
    ("Baran", "Baran"), ("Duda", "Duda"), ("Szewczyk", "Szewczyk"), ("Tomaszewski", "Tomaszewska"),
    ("Pietrzak", "Pietrzak"), ("Marciniak", "Marciniak"), ("Wróblewski", "Wróblewska"),
    ("Zalewski", "Zalewska"), ("Jakubowski", "Jakubowska"), ("Jasiński", "Jasińska"),
    ("Zawadzki", "Zawadzka"), ("Sadowski", "Sadowska"), ("Bąk", "Bąk"),
    ("Chmielewski", "Chmielewska"),
    ("Włodarczyk", "Włodarczyk"), ("Borkowski", "Borkowska"), ("Czarnecki", "Czarnecka"),
    ("Sawicki", "Sawicka"), ("Sokołowski", "Sokołowska"), ("Urbański", "Urbańska"),
    ("Kubiak", "Kubiak"), ("Maciejewski", "Maciejewska"), ("Szczepański", "Szczepańska"),
    ("Kucharski", "Kucharska"), ("Wilk", "Wilk"), ("Kalinowski", "Kalinowska"),
    ("Lis", "Lis"), ("Mazur", "Mazur"), ("Wysocki", "Wysocka"), ("Adamski", "Adamska"),
    ("Kaźmierczak", "Kaźmierczak"), ("Wasilewski", "Wasilewska"), ("Sobczak", "Sobczak"),
    ("Czerwiński", "Czerwińska"), ("Andrzejewski", "Andrzejewska"), ("Cieślak", "Cieślak"),
    ("Głowacki", "Głowacka"), ("Zakrzewski", "Zakrzewska"), ("Kołodziej", "Kołodziej"),
    ("Sikorski", "Sikorska"), ("Krajewski", "Krajewska"), ("Gajewski", "Gajewska"),
    ("Szymczak", "Szymczak"), ("Szulc", "Szulc"), ("Baranowski", "Baranowska"),
    ("Laskowski", "Laskowska"), ("Brzeziński", "Brzezińska"), ("Makowski", "Makowska"),
    ("Ziółkowski", "Ziółkowska"), ("Przybylski", "Przybylska"), ("Żak", "Żak"),
    ("Żółw", "Żółw"), ("Źrebiec", "Źrebiec"), ("Ślusarczyk", "Ślusarczyk"),
    ("Łukasiewicz", "Łukasiewicz"), ("Żurawski", "Żurawska"), ("Ćwikliński", "Ćwiklińska"),
    ("Nowak", "Nowak"), ("Wójcik", "Wójcik"), ("Kowalczyk", "Kowalczyk"),
    ("Kaczmarek", "Kaczmarek"), ("Grabowski-Nowak", "Grabowska-Nowak"),
)

FOREIGN = (
    ("Olena", "Shevchenko", "F"), ("Andrii", "Bondarenko", "M"), ("Iryna", "Kovalenko", "F"),
    ("Mykola", "Tkachenko", "M"), ("Hanna", "Müller", "F"), ("John", "Smith", "M"),
    ("Siarhei", "Ivanou", "M"), ("Natallia", "Kazlova", "F"),
)
