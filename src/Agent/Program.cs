Console.WriteLine("Ops agent");
