// Names of the varied origins found in UK schools, beside faker's en_GB lists, with the accents, apostrophes and
// hyphens that real MIS data carries, so that matching and username rules meet them in tests.
export const forenamesBySex: Record<'M' | 'F', string[]> = {
  F: [
    'Zoë', 'Chloé', 'Siobhán', 'Niamh', 'Aoife', 'Zofia', 'Wiktoria', 'Adaeze', 'Oluwaseun', 'Priya', 'Aisha', 'Fatima',
    'Mei', 'Amara', 'Ayesha', 'Maryam', 'Hana', 'Leila', 'Inês', 'Małgorzata', 'Renée', 'Ngozi', 'Saoirse', 'Yasmin',
  ],
  M: [
    'Seán', 'Łukasz', 'Jakub', 'Chidi', 'Kofi', 'Aarav', 'Muhammad', 'Hamza', 'Yusuf', 'Wei', 'Oisín', 'Tomasz',
    'João', 'Emre', 'Arjun', 'Rohan', 'Ibrahim', 'Tadhg', 'Kwame', 'Dawit', 'Rafał', 'Mateus', 'Zain', 'Bartłomiej',
  ],
};

export const surnames: string[] = [
  "O'Brien", "O'Connor", "D'Souza", 'McDonald', 'MacLeod', 'Kowalski', 'Wiśniewska', 'Nowak', 'Adeyemi', 'Okafor',
  'Patel', 'Khan', 'Begum', 'Singh', 'Chen', 'Nguyen', 'Ali', 'Hussain', 'Mohamed', 'Da Silva', 'Yılmaz', 'Gonçalves',
  'Murphy', 'Ní Bhriain', 'Mensah', 'Osei', 'Kaur', 'Sharma', 'Ahmed', 'Rahman', 'Kowalczyk', 'Byrne', 'Van der Berg',
  'Łukaszewicz', 'Ó Súilleabháin', 'Bianchi', 'García', 'Müller', 'Hernández', 'Abdi', 'Warsame', 'Le Roux',
];

/** Formal names and the short forms schools record as preferred forenames. */
export const shortForms: Record<string, string> = {
  Thomas: 'Tom', William: 'Bill', Elizabeth: 'Beth', Alexander: 'Alex', Benjamin: 'Ben', Samuel: 'Sam',
  Katherine: 'Kate', Jessica: 'Jess', Matthew: 'Matt', Joshua: 'Josh', Daniel: 'Dan', Rebecca: 'Becky',
  Margaret: 'Maggie', Robert: 'Rob', Edward: 'Ted', Charlotte: 'Lottie', Abigail: 'Abi', Oliver: 'Ollie',
  Christopher: 'Chris', Jonathan: 'Jon', Nicholas: 'Nick', Victoria: 'Vicky', Michael: 'Mike', James: 'Jim',
};

export const staffRoles = ['Teacher', 'Teaching Assistant', 'Administrator', 'SENCO', 'Site Manager', 'Cover Supervisor'];
export const subjects = ['Mathematics', 'English', 'Science', 'History', 'Geography', 'French', 'Computing'];
export const placeWords = ['St Mary', 'Oakfield', 'Riverside', 'Hillcrest', 'Meadow', 'Kingsway', 'Brookside', 'Elm Grove', 'Ashfield', 'Westgate', 'Holy Trinity', 'Fairfield', 'Northgate', 'Castle', 'Beechwood', 'Parkside'];
